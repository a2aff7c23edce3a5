/**
 * `--settings FILE`: either a connection's settings object (functions/core/settings.ts) or a whole
 * deployment configuration as `cdk deploy` reads it (`{ "connections": [...] }`), so the file that
 * configures the stack also configures local runs (and tells `saddledata status` the schedule).
 */
import { readFile } from "node:fs/promises";
import { type ConnectorSettings, parseSettings } from "../../functions/core/settings";
import { ConfigurationError } from "../../functions/errors";
import { parseDeploymentConfig } from "../../lib/config";

export interface SettingsFile {
  settings: ConnectorSettings;
  /** From a deployment configuration: the connection's name, prefix, API version and Map concurrency. */
  connection?: string;
  prefix?: string;
  apiVersion?: string;
  mapConcurrency?: number;
  /** The connection's EventBridge Scheduler expression and its time zone (`saddledata status`). */
  schedule?: { expression: string; timeZone?: string };
}

export async function readSettingsFile(path: string, connection?: string): Promise<SettingsFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigurationError(
      `Cannot read the settings file ${path} (${code}): check the path given to --settings.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(
      `The settings file ${path} is not valid JSON (${(error as Error).message}).`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigurationError(`The settings file ${path} must hold one JSON object.`);
  }
  if (!("connections" in json)) return { settings: parseSettings(json, path) };

  const config = parseDeploymentConfig(json, path);
  const names = config.connections.map((entry) => entry.name);
  const chosen =
    connection === undefined
      ? config.connections.length === 1
        ? config.connections[0]
        : undefined
      : config.connections.find((entry) => entry.name.toLowerCase() === connection.toLowerCase());
  if (!chosen) {
    throw new ConfigurationError(
      connection === undefined
        ? `${path} configures ${names.length} connections (${names.join(", ")}): pick one with --connection NAME.`
        : `${path} has no connection named ${connection} (it has ${names.join(", ")}).`,
    );
  }
  const out: SettingsFile = {
    settings: parseSettings(chosen.settings, `connection ${chosen.name} of ${path}`),
    connection: chosen.name,
    prefix: chosen.prefix,
    mapConcurrency: chosen.mapConcurrency,
  };
  if (chosen.apiVersion) out.apiVersion = chosen.apiVersion;
  if (chosen.schedule) {
    out.schedule = {
      expression: chosen.schedule,
      ...(chosen.scheduleTimeZone ? { timeZone: chosen.scheduleTimeZone } : {}),
    };
  }
  return out;
}
