// The package's own compiled validator as an oracle, for from_typescript.py (vendoring only; the test
// suite never runs node).
//
//     node ajv_oracle.mjs <path of a _schemas/*.js validator> < documents.json > verdicts.json
//
// documents.json is a JSON array of documents; each verdict is the list of the validator's errors
// (instancePath, keyword, params) for that document, [] when it accepts it.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { validate } = await import(pathToFileURL(process.argv[2]).href);
const documents = JSON.parse(readFileSync(0, "utf8"));
const verdicts = documents.map((doc) =>
  validate(doc) ? [] : validate.errors.map(({ instancePath, keyword, params }) => ({ instancePath, keyword, params })),
);
process.stdout.write(JSON.stringify(verdicts));
