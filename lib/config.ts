/**
 * The deployment configuration: which Salesforce connections to deploy, each as its own stack. Read from
 * a JSON file named by the CDK context (`-c config=saddledata.config.json`); see
 * `lib/saddledata.config.example.json`. Connection settings go through the same schema the Lambdas
 * parse them with, so a typo fails `cdk synth` in the words the runtime would use.
 */
import { readFileSync } from "node:fs";
import * as z from "zod";
import { Layout } from "../functions/core/layout";
import { ConnectorSettingsSchema } from "../functions/core/settings";
import { ConfigurationError } from "../functions/errors";

/** Lambda environment variables may hold 4 KB in all; the settings JSON must leave room for the rest. */
export const MAX_SETTINGS_JSON_BYTES = 3000;

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653,
] as const;

const logRetentionDays = z
  .number()
  .int()
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
  });

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const CRON_FIELDS = ["minutes", "hours", "day-of-month", "month", "day-of-week", "year"] as const;

/**
 * What is wrong with an EventBridge Scheduler expression, or undefined: `rate(value unit)` (a positive
 * whole value; minute, hour or day, singular for 1 and plural otherwise), `cron(fields)` (six fields, one
 * of day-of-month and day-of-week a `?`) or `at(yyyy-mm-ddThh:mm:ss)`. Checked at synth, since
 * CloudFormation would only refuse it half-way through a deployment.
 */
export function scheduleProblem(expression: string): string | undefined {
  const usage = "use rate(5 minutes), rate(1 hour), cron(0 2 * * ? *) or at(2030-01-01T00:00:00)";
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const plural = (rate[2] as string).endsWith("s");
    if (value < 1) return `rate needs a value of at least 1 (${usage})`;
    if (plural !== value > 1)
      return `rate(${value} ...) takes the unit ${value === 1 ? "singular" : "plural"} (${usage})`;
    return undefined;
  }
  const cron = /^cron\(([^()]*)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] as string).trim().split(/\s+/);
    if (fields.length !== CRON_FIELDS.length) {
      return `cron needs six fields (${CRON_FIELDS.join(" ")}), got ${fields.length} (${usage})`;
    }
    const bad = fields.findIndex((field) => !/^[0-9A-Za-z*?,/#-]+$/.test(field));
    if (bad >= 0) return `cron field ${CRON_FIELDS[bad]} holds characters cron does not allow (${usage})`;
    if ((fields[2] === "?") === (fields[4] === "?")) {
      return `cron needs ? in exactly one of day-of-month and day-of-week (${usage})`;
    }
    return undefined;
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (at) {
    const when = new Date(`${at[1]}Z`);
    if (Number.isNaN(when.getTime()) || when.toISOString().slice(0, 19) !== at[1]) {
      return `at(${at[1]}) is not a date and time (${usage})`;
    }
    return undefined;
  }
  return `must be an EventBridge Scheduler expression: ${usage}`;
}

/**
 * The time between two runs of a schedule, in minutes: exact for `rate(…)`, the cadence a `cron(…)`
 * plainly states (every n minutes or hours, daily, weekly, else monthly), undefined for a one-off `at(…)`.
 */
export function schedulePeriodMinutes(expression: string): number | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) return Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as "minute" | "hour" | "day"];
  const cron = /^cron\(([^()]*)\)$/.exec(expression);
  if (!cron) return undefined;
  const [minutes, hours, dayOfMonth, , dayOfWeek] = (cron[1] as string).trim().split(/\s+/);
  const every = (field: string | undefined) => {
    if (field === "*") return 1;
    const step = /^(?:\*|\d+)\/(\d+)$/.exec(field ?? "");
    return step ? Number(step[1]) : undefined;
  };
  const anyDay = (field: string | undefined) => field === "*" || field === "?";
  if (anyDay(dayOfMonth) && anyDay(dayOfWeek)) {
    const minuteStep = every(minutes);
    if (minuteStep !== undefined && hours === "*") return minuteStep;
    const hourStep = every(hours);
    if (hourStep !== undefined) return hourStep * 60;
    return 1440;
  }
  if (anyDay(dayOfMonth)) return 10_080;
  return 44_640;
}

/** The longest freshness alarm CloudWatch can evaluate (its alarms look back at most 7 days). */
export const MAX_FRESHNESS_ALARM_MINUTES = 7 * 1440;

/**
 * The freshness alarm's threshold: the configured one, else three schedule periods (at most 7 days, and
 * only when that is longer than one period); undefined: no freshness alarm.
 */
export function freshnessAlarmMinutesOf(connection: {
  schedule?: string | undefined;
  freshnessAlarmMinutes?: number | undefined;
}): number | undefined {
  if (connection.freshnessAlarmMinutes !== undefined) return connection.freshnessAlarmMinutes;
  const period = connection.schedule === undefined ? undefined : schedulePeriodMinutes(connection.schedule);
  if (period === undefined) return undefined;
  const minutes = Math.min(3 * period, MAX_FRESHNESS_ALARM_MINUTES);
  // A weekly or monthly schedule: CloudWatch cannot look back far enough to judge it, so no default.
  return minutes > period ? minutes : undefined;
}

export const ConnectionConfigSchema = z
  .object({
    /** Names the stack, the state machines and the connection's items in the state table. */
    name: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9-]{0,31}$/,
        "must start with a letter and hold at most 32 letters, digits or '-'",
      ),
    /**
     * An existing Secrets Manager secret holding the Salesforce credentials JSON: its name or ARN. When
     * absent the stack creates an empty secret whose description says what to put in it.
     */
    secret: z.string().trim().min(1).optional(),
    /** The customer-managed KMS key that encrypts an existing secret, if it is not the default key. */
    secretKmsKeyArn: z.string().startsWith("arn:").optional(),
    /** Connection settings: the schema in functions/core/settings.ts. */
    settings: z.record(z.string(), z.unknown()).default({}),
    /** EventBridge Scheduler expression that starts a sync (`rate(1 hour)`, `cron(0 2 * * ? *)`); none: manual runs only. */
    schedule: z
      .string()
      .superRefine((value, context) => {
        const problem = scheduleProblem(value);
        if (problem) context.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    /** IANA time zone for a cron schedule (default UTC). */
    scheduleTimeZone: z
      .string()
      .min(1)
      .refine(isTimeZone, "must be an IANA time zone such as UTC or Europe/Paris")
      .optional(),
    /** Objects extracted at once (the sync Map's MaxConcurrency). */
    mapConcurrency: z.number().int().min(1).max(40).default(4),
    /**
     * Memory of the extract Lambda in MB (default 1769, one vCPU's worth). From 3538, two vCPUs' worth,
     * Parquet row groups are encoded on a second thread while the next one downloads.
     */
    extractMemoryMb: z
      .number()
      .int("must be a whole number of MB")
      .min(1024, "must be at least 1024 MB (a Bulk page is converted in memory; 1769 is one vCPU's worth)")
      .max(10240, "must be at most 10240 MB (Lambda's largest)")
      .optional(),
    /** Key prefix of everything the connection writes and reads in its bucket. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9!_.'()/-]*$/, "may hold letters, digits and ! _ . ' ( ) / - only")
      .default(""),
    /** Salesforce REST API version (default: the connector's). */
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, "must look like 62.0")
      .optional(),
    logRetentionDays: logRetentionDays.default(90),
    /** Days `results/` reports of loads are kept. */
    resultsRetentionDays: z.number().int().min(1).default(90),
    /** Days an overwritten or deleted object's previous version is kept. */
    noncurrentVersionRetentionDays: z.number().int().min(1).default(30),
    /** SNS topic the alarms notify. */
    alarmTopicArn: z.string().startsWith("arn:").optional(),
    /**
     * Alarm when an object's data is older than this (its lag: the org's now minus its committed cursor).
     * Default: three schedule periods when a schedule is configured, else no freshness alarm.
     */
    freshnessAlarmMinutes: z
      .number()
      .int("must be a whole number of minutes")
      .min(1, "must be at least 1 minute")
      .max(
        MAX_FRESHNESS_ALARM_MINUTES,
        `must be at most ${MAX_FRESHNESS_ALARM_MINUTES} (7 days: the longest a CloudWatch alarm looks back)`,
      )
      .optional(),
  })
  .strict()
  .superRefine((connection, context) => {
    const minutes = connection.freshnessAlarmMinutes;
    const period = connection.schedule === undefined ? undefined : schedulePeriodMinutes(connection.schedule);
    if (minutes !== undefined && period !== undefined && minutes <= period) {
      context.addIssue({
        code: "custom",
        path: ["freshnessAlarmMinutes"],
        message: `${minutes} minutes is not longer than the schedule's period (${period} minutes), so the alarm would fire between two runs: use more, such as ${Math.min(3 * period, MAX_FRESHNESS_ALARM_MINUTES)} (three periods)`,
      });
    }
  });

export const DeploymentConfigSchema = z
  .object({
    connections: z.array(ConnectionConfigSchema).min(1, "list at least one connection"),
  })
  .strict()
  .superRefine((config, context) => {
    const seen = new Set<string>();
    for (const [index, connection] of config.connections.entries()) {
      const key = connection.name.toLowerCase();
      if (seen.has(key)) {
        context.addIssue({
          code: "custom",
          path: ["connections", index, "name"],
          message: `${connection.name} is used twice`,
        });
      }
      seen.add(key);
    }
  });

export type ConnectionConfig = z.infer<typeof ConnectionConfigSchema>;
export type DeploymentConfig = z.infer<typeof DeploymentConfigSchema>;

function describeIssues(issues: z.ZodError["issues"]): string {
  return issues
    .slice(0, 10)
    .map((issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`)
    .join("; ");
}

/**
 * Validate a deployment configuration: the structure, then each connection's settings with
 * `ConnectorSettingsSchema`. The prefix comes back normalised the way the runtime's `Layout` reads it.
 */
export function parseDeploymentConfig(input: unknown, source: string): DeploymentConfig {
  const parsed = DeploymentConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigurationError(
      `Invalid SaddleData configuration in ${source}: ${describeIssues(parsed.error.issues)}.`,
    );
  }
  for (const connection of parsed.data.connections) {
    const settings = ConnectorSettingsSchema.safeParse(connection.settings);
    if (!settings.success) {
      throw new ConfigurationError(
        `Invalid settings of connection ${connection.name} in ${source}: ${describeIssues(settings.error.issues)}.`,
      );
    }
    const bytes = Buffer.byteLength(JSON.stringify(connection.settings));
    if (bytes > MAX_SETTINGS_JSON_BYTES) {
      throw new ConfigurationError(
        `The settings of connection ${connection.name} in ${source} take ${bytes} bytes as JSON; Lambda environment variables hold 4 KB in all, so keep them under ${MAX_SETTINGS_JSON_BYTES} (use globs instead of long object lists).`,
      );
    }
    connection.prefix = new Layout(connection.prefix).prefix;
  }
  return parsed.data;
}

export function readDeploymentConfig(path: string): DeploymentConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(
      `Cannot read the SaddleData configuration ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): copy lib/saddledata.config.example.json and pass it with -c config=<file>.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseDeploymentConfig(json, path);
}
