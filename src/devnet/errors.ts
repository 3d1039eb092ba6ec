/**
 * Typed errors of the devnet: `FrameworkError`s with a stable `code`, structured `details` and the underlying
 * `cause`. Details carry paths, ports, pids and addresses, never a node's private key.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the devnet raises (the DEVNET_* members of the framework's `ErrorCode`). */
export type DevnetErrorCode = Extract<ErrorCode, `DEVNET_${string}`>;

/** Base class of every devnet error. Branch with `isFrameworkError(error, code)`. */
export class DevnetError extends FrameworkError<DevnetErrorCode> {}
