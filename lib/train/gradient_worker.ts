/**
 * The module worker {@link gradientPool} starts by default: models come from their module URLs.
 *
 * @module
 */
import { serveGradients } from "./gradient_serve.ts";

serveGradients();
