/**
 * The emulator's control API (`/__emulator/…`), from the orchestrator: the API call counters that
 * every measurement reports. Control requests are never counted as API calls themselves.
 */

export interface CallCounts {
  total: number;
  oauth: number;
  byKind: Record<string, number>;
}

async function control<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/__emulator${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status}`);
  return (await response.json()) as T;
}

export function resetCalls(url: string): Promise<CallCounts> {
  return control<CallCounts>(url, "DELETE", "/calls");
}

export function readCalls(url: string): Promise<CallCounts> {
  return control<CallCounts>(url, "GET", "/calls");
}
