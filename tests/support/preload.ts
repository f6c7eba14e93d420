import { setDefaultTimeout } from "bun:test";

// Bun's 5 s default is too short for tests that boot a server process or create a database.
setDefaultTimeout(30_000);
