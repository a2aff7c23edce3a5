import type { CatalogField } from "../../functions/core/catalog";

/** A catalog field for tests: a plain, nullable, createable and updateable field unless `extra` says otherwise. */
export function catalogField(
  name: string,
  sfType = "string",
  extra: Partial<CatalogField> = {},
): CatalogField {
  return {
    name,
    sfType,
    json: { type: "string" },
    nullable: true,
    calculated: false,
    filterable: true,
    createable: true,
    updateable: true,
    externalId: false,
    idLookup: false,
    unique: false,
    ...extra,
  };
}
