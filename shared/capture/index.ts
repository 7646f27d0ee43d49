export * from "./address";
export * from "./message-class";
export * from "./folders";
export * from "./reasons";
export * from "./rules";
