/**
 * The error for a Salesforce value that its lake column cannot hold (text in a number field, a decimal
 * wider than its precision, a date that is not one), the same whichever writer or API met it.
 */
import { BadValueError } from "../../../errors";

export interface BadValuePlace {
  /** The object, named first ("" when the caller does not know it). */
  object: string;
  /** Where the record is, e.g. `Bulk result page 2, record 17 (line 18)` or `REST query result`. */
  where: string;
  /** The record's Id, when known. */
  record?: string | undefined;
  field: string;
  /** The field's type as the message shows it, e.g. `currency → decimal(18,2)`. */
  type: string;
  line?: number | undefined;
}

/** Ids are 18 characters; a longer "Id" is cut like any value shown. */
const MAX_ID_CHARS = 64;

/**
 * A BadValueError naming the object, the record and its Id, the field and `problem` (which shows the
 * value, cut at 64 characters), and saying what to do.
 */
export function badValue(place: BadValuePlace, problem: string): BadValueError {
  const { object, field, line } = place;
  const record =
    place.record === undefined || place.record.length <= MAX_ID_CHARS
      ? place.record
      : `${place.record.slice(0, MAX_ID_CHARS)}…`;
  const id = record === undefined ? "" : `, Id ${record}`;
  return new BadValueError(
    `${object === "" ? "" : `${object}: `}${place.where}${id}, field ${field} (${place.type}): ${problem}. ` +
      "This is the value Salesforce holds, so it is not read again: correct the record in Salesforce " +
      `(or the field's type, if it changed there), or leave ${object === "" ? "the object" : object} out ` +
      'of the sync (settings "exclude"), then run the sync again.',
    {
      field,
      column: field,
      ...(object === "" ? {} : { object }),
      ...(record === undefined ? {} : { record }),
      ...(line === undefined ? {} : { line }),
    },
  );
}
