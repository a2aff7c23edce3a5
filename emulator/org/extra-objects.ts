/**
 * `saddledata emulator --extra-objects N`: N generated custom objects, each with a few fields and rows,
 * so anyone can try a wide org (thousands of objects, as History, Share and Feed objects make a real
 * one) by hand or in a test.
 */
import type { Org } from "./types";

/** Rows each extra object gets. */
export const EXTRA_OBJECT_ROWS = 3;

/** Add `count` objects `Extra_0001__c`… with a text, a number and a checkbox field; their names. */
export function addExtraObjects(
  org: Pick<Org, "addObject" | "generate">,
  count: number,
  rowsEach = EXTRA_OBJECT_ROWS,
): string[] {
  const width = Math.max(4, String(count).length);
  const names: string[] = [];
  for (let index = 1; index <= count; index++) {
    const name = `Extra_${String(index).padStart(width, "0")}__c`;
    org.addObject({
      name,
      fields: [
        { name: "Code__c", type: "string", length: 40 },
        { name: "Amount__c", type: "double", precision: 12, scale: 2 },
        { name: "Active__c", type: "boolean" },
      ] as never,
    });
    if (rowsEach > 0) org.generate(name, rowsEach);
    names.push(name);
  }
  return names;
}
