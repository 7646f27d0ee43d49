// Two projects: node (server, shared, emulator, end-to-end) and jsdom (the task pane's components).
// ts-jest runs transpile-only (isolatedModules); `npm run lint` does the type checking.
// ESM-only packages (jose, uuid via office-addin-mock) are transformed to CommonJS for Jest on Node 20
// (Jest on Node 20 cannot load ES modules); strip-bom is mapped to its CommonJS v4.
const common = {
  transform: { "^.+\\.[tj]sx?$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }] },
  transformIgnorePatterns: ["/node_modules/(?!(uuid|jose)/)"],
  moduleNameMapper: { "^strip-bom$": "<rootDir>/node_modules/strip-bom/index.js" },
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: "node",
      testEnvironment: "node",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, "<rootDir>/test/addin/"],
    },
    { ...common, displayName: "addin", testEnvironment: "jsdom", testMatch: ["<rootDir>/test/addin/**/*.test.ts?(x)"] },
  ],
};
