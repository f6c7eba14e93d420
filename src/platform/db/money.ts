import { customType } from "drizzle-orm/pg-core";

/**
 * A money column: numeric(78,0) in Postgres (wide enough for any uint256, so wei never overflows),
 * bigint in TypeScript. Both drivers hand numeric over as a string, so no float is ever involved.
 */
export const money = customType<{ data: bigint; driverData: string }>({
  dataType: () => "numeric(78, 0)",
  toDriver: (value) => value.toString(),
  fromDriver: (value) => BigInt(value),
});
