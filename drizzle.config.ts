import { defineConfig } from "drizzle-kit";

// Every table lives in a module's (or the platform's) schema.ts; drizzle-kit reads them all.
export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/platform/**/schema.ts", "./src/modules/*/schema.ts"],
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://localhost:5432/postgres" },
});
