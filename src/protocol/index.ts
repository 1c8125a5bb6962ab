/** The protocol room: tokenizer, encoder, ERR codes. Pure, no I/O. */
export * from "./defaults.js";
export * from "./encoder.js";
export * from "./errors.js";
export * from "./tokenizer.js";
