// A require hook for child processes of the tests: TypeScript files are transpiled (no type check, as
// `ts-node/register/transpile-only` does) and the output is kept in the directory TS_TRANSPILE_CACHE names, keyed
// by path and content, so that a worker started many times transpiles the framework once. Loaded with
// `node -r test/support/ts-cache.js worker.ts`; does nothing unless TS_TRANSPILE_CACHE is set.
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.TS_TRANSPILE_CACHE;
if (dir) {
  fs.mkdirSync(dir, { recursive: true });
  let ts;
  require.extensions[".ts"] = function (module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const key = createHash("sha256").update(filename).update("\0").update(source).digest("hex");
    const cached = path.join(dir, `${key}.js`);
    let output;
    try {
      output = fs.readFileSync(cached, "utf8");
    } catch {
      ts ??= require("typescript");
      output = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.CommonJS,
          esModuleInterop: true,
          resolveJsonModule: true,
          sourceMap: false,
        },
      }).outputText;
      const temporary = `${cached}.${process.pid}`;
      fs.writeFileSync(temporary, output);
      fs.renameSync(temporary, cached);
    }
    module._compile(output, filename);
  };
}
