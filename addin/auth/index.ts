export * from "./types";
export { chooseAuthStrategy, knownAuthoritiesFor } from "./strategy";
