const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids from URLs and tokens are checked before they reach a uuid column, where a malformed one would be a 500. */
export const isUuid = (value: string) => UUID.test(value);
