// Errors the CDK layer raises: a StepWatch prop that synth must refuse. TypeScript users import them from `ssm-step-watch/errors`; jsii cannot model Error subclasses, so the jsii entry (lib/index.ts) leaves them out.
import { StepWatchError } from '../lambda/core/errors';

export { StepWatchError };

/**
 * A `StepWatch` prop (or a context key that feeds one) has a value the construct cannot deploy.
 * The message is one sentence naming the prop and what is allowed.
 *
 * @example
 * ```ts
 * try {
 *   new StepWatch(stack, 'Watch', { eventSource: 'aws.ssm' });
 * } catch (error) {
 *   if (error instanceof StepWatchConfigError) console.error(error.message);
 * }
 * ```
 */
export class StepWatchConfigError extends StepWatchError {}

/**
 * The construct cannot find its own files: neither the Lambda code prebuilt into the package nor this
 * repository's sources to bundle at synth.
 */
export class StepWatchPackageError extends StepWatchError {}
