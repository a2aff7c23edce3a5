/**
 * When a connection's EventBridge Scheduler expression fires next, for `saddledata status`: `cron(…)` and
 * `at(…)` exactly (in the schedule's time zone), `rate(…)` from the last run's start, since a rate
 * schedule counts from when it was created, which only the deployed schedule knows. The expressions are
 * the ones `lib/config.ts` accepts (`scheduleProblem`).
 */

export interface NextRun {
  /** ISO-8601 UTC. */
  at: string;
  /** False for a rate schedule: its next run counted from the last run's start. */
  exact: boolean;
}

const MINUTE = 60_000;
/** How far ahead a cron expression is searched (a 29 February on a Monday can be years away). */
const SEARCH_YEARS = 8;

/**
 * The first time after `now` the schedule fires, or undefined: a one-off `at(…)` in the past, a cron
 * expression that never fires again, a rate schedule that has not run yet (nothing to count from).
 */
export function nextScheduledRun(
  expression: string,
  options: { now: number; timeZone?: string; lastRunAt?: number | undefined },
): NextRun | undefined {
  const timeZone = options.timeZone ?? "UTC";
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    if (options.lastRunAt === undefined) return undefined;
    const period = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as "minute"] * MINUTE;
    const periods = Math.max(1, Math.floor((options.now - options.lastRunAt) / period) + 1);
    return { at: new Date(options.lastRunAt + periods * period).toISOString(), exact: false };
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as number[];
    const when = zonedToUtc(
      { year: year ?? 0, month: month ?? 0, day: day ?? 0, hour: hour ?? 0, minute: minute ?? 0 },
      timeZone,
    );
    const instant = when === undefined ? undefined : when + (second ?? 0) * 1000;
    return instant !== undefined && instant > options.now
      ? { at: new Date(instant).toISOString(), exact: true }
      : undefined;
  }
  const cron = /^cron\(([^()]*)\)$/.exec(expression);
  if (!cron) throw new Error(`Not an EventBridge Scheduler expression: ${expression}`);
  const next = nextCron(parseCron(cron[1] as string), options.now, timeZone);
  return next === undefined ? undefined : { at: new Date(next).toISOString(), exact: true };
}

interface LocalTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number> | "any";
  /** Whether a day (year, month 1-12, day) matches day-of-month and day-of-week. */
  day(year: number, month: number, day: number): boolean;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** A field's values: `*`, `n`, `a-b`, `*\/s`, `a/s`, `a-b/s`, names, comma-separated. */
function values(field: string, min: number, max: number, names: string[] = [], base = min): Set<number> {
  const out = new Set<number>();
  const number = (text: string): number => {
    const named = names.indexOf(text.toUpperCase());
    const value = named >= 0 ? named + base : Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`cron value ${text} is outside ${min}-${max}`);
    }
    return value;
  };
  for (const item of field.split(",")) {
    const [range = "", stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron step ${stepText} is not a whole number`);
    let from = min;
    let to = max;
    if (range !== "*" && range !== "?") {
      const [a = "", b] = range.split("-");
      from = number(a);
      to = b === undefined ? (stepText === undefined ? from : max) : number(b);
    }
    for (let value = from; value <= to; value += step) out.add(value);
  }
  return out;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 (Sunday) to 7 (Saturday), as EventBridge's day-of-week counts. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** The weekday (Monday-Friday) nearest to `day` within its month, as cron's `W` means. */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysInMonth(year, month);
  const target = Math.min(day, last);
  const dow = weekday(year, month, target);
  if (dow === 7) return target === 1 ? 3 : target - 1;
  if (dow === 1) return target === last ? target - 2 : target + 1;
  return target;
}

function dayOfMonthMatcher(field: string): (year: number, month: number, day: number) => boolean {
  if (field === "?" || field === "*") return () => true;
  if (field === "L") return (year, month, day) => day === daysInMonth(year, month);
  if (field === "LW") {
    return (year, month, day) => day === nearestWeekday(year, month, daysInMonth(year, month));
  }
  const weekdayOf = /^(\d+)W$/.exec(field);
  if (weekdayOf) {
    const target = Number(weekdayOf[1]);
    return (year, month, day) => day === nearestWeekday(year, month, target);
  }
  const days = values(field, 1, 31);
  return (_year, _month, day) => days.has(day);
}

function dayOfWeekMatcher(field: string): (year: number, month: number, day: number) => boolean {
  if (field === "?" || field === "*") return () => true;
  const dayOf = (text: string) => values(text, 1, 7, WEEKDAYS, 1).values().next().value as number;
  const nth = /^(\w+)#([1-5])$/.exec(field);
  if (nth) {
    const dow = dayOf(nth[1] as string);
    const n = Number(nth[2]);
    return (year, month, day) => weekday(year, month, day) === dow && Math.ceil(day / 7) === n;
  }
  const last = /^(\w+)L$/.exec(field);
  if (last) {
    const dow = dayOf(last[1] as string);
    return (year, month, day) => weekday(year, month, day) === dow && day + 7 > daysInMonth(year, month);
  }
  if (field === "L") return (year, month, day) => weekday(year, month, day) === 7;
  const days = values(field, 1, 7, WEEKDAYS, 1);
  return (year, month, day) => days.has(weekday(year, month, day));
}

export function parseCron(text: string): Cron {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`cron needs six fields, got ${fields.length}`);
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const dom = dayOfMonthMatcher(dayOfMonth);
  const dow = dayOfWeekMatcher(dayOfWeek);
  return {
    minutes: values(minutes, 0, 59),
    hours: values(hours, 0, 23),
    months: values(month, 1, 12, MONTHS, 1),
    years: year === "*" ? "any" : values(year, 1970, 2199),
    day: (y, m, d) => dom(y, m, d) && dow(y, m, d),
  };
}

/** The first minute after `now` the cron fires, walking the zone's local days, or undefined. */
function nextCron(cron: Cron, now: number, timeZone: string): number | undefined {
  const start = localTime(now, timeZone);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  const hours = [...cron.hours].sort((a, b) => a - b);
  let date = Date.UTC(start.year, start.month - 1, start.day);
  for (let days = 0; days < SEARCH_YEARS * 366; days++, date += 86_400_000) {
    const day = new Date(date);
    const [year, month, dom] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    if (cron.years !== "any" && !cron.years.has(year)) continue;
    if (!cron.months.has(month) || !cron.day(year, month, dom)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const instant = zonedToUtc({ year, month, day: dom, hour, minute }, timeZone);
        if (instant !== undefined && instant > now) return instant;
      }
    }
  }
  return undefined;
}

function localTime(instant: number, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  }).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((entry) => entry.type === type)?.value);
  return {
    year: part("year"),
    month: part("month"),
    day: part("day"),
    hour: part("hour"),
    minute: part("minute"),
  };
}

/**
 * The instant a zone's local time names, or undefined for a time the zone skips (a daylight-saving
 * change's missing hour, where the scheduler runs nothing).
 */
function zonedToUtc(time: LocalTime, timeZone: string): number | undefined {
  const wanted = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute);
  let guess = wanted;
  for (let attempt = 0; attempt < 3; attempt++) {
    const seen = localTime(guess, timeZone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
    if (seenAsUtc === wanted) return guess;
    guess += wanted - seenAsUtc;
  }
  return undefined;
}
