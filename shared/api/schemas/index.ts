/** The HTTP contract's zod schemas, by resource. The pane imports these as types only (z.infer / z.input). */
export * from "./common";
export * from "./addin";
export * from "./blocklist";
export * from "./clients";
export * from "./connection";
export * from "./contacts";
export * from "./engagements";
export * from "./mail";
export * from "./messages";
export * from "./sweeps";
export * from "./organization";
export * from "./sharing";
