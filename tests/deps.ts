// Third-party modules used only by tests, pinned in one place.
export { default as fc } from "npm:fast-check@4.10.2";
