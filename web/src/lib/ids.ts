/** A UUID in its text form: the shape the server accepts for ids (src/platform/ids.ts), checked here before asking. */
export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
