/** Small helpers for the command's text output: aligned tables, counts and sizes people read at a glance. */

const integer = new Intl.NumberFormat("en-US");

export function count(value: number): string {
  return integer.format(value);
}

export function plural(value: number, one: string, many = `${one}s`): string {
  return `${count(value)} ${value === 1 ? one : many}`;
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let size = value / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`;
}

export function seconds(value: number): string {
  return value < 60 ? `${value.toFixed(1)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

/** Columns padded to their widest cell; a column whose header starts with ">" is right-aligned. */
export function table(headers: string[], rows: string[][], indent = "  "): string {
  const right = headers.map((header) => header.startsWith(">"));
  const names = headers.map((header) => header.replace(/^>/, ""));
  const widths = names.map((name, column) =>
    Math.max(name.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `${indent}${cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return right[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd()}`;
  return [line(names), ...rows.map(line)].join("\n");
}
