export * from "./types";
export { chooseAuthStrategy, knownAuthoritiesFor } from "./strategy";
export { SignInError, describeSignInError, isSupersededSignIn } from "./errors";
