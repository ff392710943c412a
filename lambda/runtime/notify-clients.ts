// The notify function's SDK clients, kept for the life of a Lambda container.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';

/** The clients the notify function uses. */
export interface NotifyClients {
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
}

let built: NotifyClients | undefined;

/**
 * The container's clients: those given, else ones built on first use and reused by every later
 * invocation (so connections are reused).
 */
export function notifyClients(given: Partial<NotifyClients> = {}): NotifyClients {
  if (given.dynamodb && given.sns) return { dynamodb: given.dynamodb, sns: given.sns };
  built ??= { dynamodb: new DynamoDBClient({}), sns: new SNSClient({}) };
  return { dynamodb: given.dynamodb ?? built.dynamodb, sns: given.sns ?? built.sns };
}
