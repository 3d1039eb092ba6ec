// solidity-coverage: measure the shipped contracts, not the test doubles under contracts/test.
module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["json-summary", "text", "lcov"],
};
