export * from "./async";
export * from "./host";
export * from "./message";
export * from "./events";
export * from "./theme";
export * from "./dialog";
