// Tests of the CLI's one-line errors: what each SDK failure says, given where the call went.
import { describe, expect, it } from 'vitest';
import { attachCallTarget, type CallTarget, describeError, exitCodeOf, UsageError } from '../../cli/errors';

/** An SDK-shaped error: a name, a message, and where the call went. */
function sdkError(name: string, message: string, target?: CallTarget): Error {
  const error = Object.assign(new Error(message), { name });
  if (target) attachCallTarget(error, target);
  return error;
}

const onAws: CallTarget = {
  service: 'DynamoDB',
  operation: 'Query',
  endpoint: 'https://dynamodb.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  tableName: 'SsmStepWatch-Table',
};

describe('Function: describeError', () => {
  it('names the stack output and the region for a table missing on AWS, and never advises creating one', () => {
    const line = describeError(
      sdkError('ResourceNotFoundException', 'Requested resource not found', onAws),
      'history',
    );
    expect(line).toMatch(
      /^history: no table "SsmStepWatch-Table" in eu-west-1: --table takes the TableName output/,
    );
    expect(line).toContain("and --region the stack's region.");
    expect(line).not.toMatch(/create/);
  });

  it('adds table create for a table missing on a local endpoint', () => {
    const local = { ...onAws, endpoint: 'http://127.0.0.1:4567', tableName: 'dev' };
    expect(
      describeError(sdkError('ResourceNotFoundException', 'Cannot do operations', local), 'poll'),
    ).toMatch(
      /; on the local endpoint http:\/\/127\.0\.0\.1:4567, `step-watch table create --table dev` makes it\.$/,
    );
  });

  it('finds the SDK error under our own wrapping errors', () => {
    const wrapped = new Error('DynamoDB Query failed: SyntaxError', {
      cause: sdkError('SyntaxError', 'Unexpected token < Deserialization error: …', {
        ...onAws,
        endpoint: 'http://proxy:8080',
      }),
    });
    expect(describeError(wrapped, 'executions')).toBe(
      "executions: the endpoint http://proxy:8080 did not answer like DynamoDB (Query got an answer that is not DynamoDB's); check AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL.",
    );
  });

  it('names the profile that has no credentials', () => {
    const error = sdkError('CredentialsProviderError', 'Could not load credentials from any providers', {
      ...onAws,
      profile: 'ops',
    });
    expect(describeError(error, 'poll')).toMatch(/^poll: no credentials for profile "ops": /);
  });

  it("keeps our own errors' messages, without a second command prefix", () => {
    const error = new UsageError('history: --format must be one of table, json; got "xml".');
    expect(describeError(error, 'history')).toBe('history: --format must be one of table, json; got "xml".');
    expect(exitCodeOf(error)).toBe(2);
    expect(exitCodeOf(new Error('boom'))).toBe(1);
  });
});
