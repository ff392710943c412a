// The StepWatch's event bus and archive: an optional customer managed key on both, and the bus policy that keeps the poller's source to the poller's roles.
import { Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ResolvedStepWatchProps } from './resolved-props';

/** The bus and archive of {@link createBusAndArchive}. */
export interface StepWatchBusAndArchive {
  /** The bus events are published to: created, or the existing one named in the settings. */
  readonly bus: events.IEventBus;
  /** The created bus, whose policy this StepWatch writes; undefined with an existing bus. */
  readonly ownBus: events.EventBus | undefined;
  /** The archive of this poller's events on the bus. */
  readonly archive: events.Archive;
}

/**
 * The bus (`Bus`) and its archive (`Archive`), created directly in `scope` with the ids they have
 * always had. With `eventBusEncryptionKey`, the created bus and the archive are encrypted with it and
 * the key's policy (when the key is one this app can change) lets EventBridge use it from this
 * account, encrypting and decrypting only with this bus's encryption context; events the bus cannot
 * decrypt or encrypt go to `deadLetterQueue`.
 */
export function createBusAndArchive(
  scope: Construct,
  settings: ResolvedStepWatchProps,
  deadLetterQueue: sqs.Queue,
): StepWatchBusAndArchive {
  const key = settings.eventBusEncryptionKey;
  const ownBus = settings.eventBusName
    ? undefined
    : new events.EventBus(scope, 'Bus', {
        description: 'SSM Automation step and execution transitions',
        // aws-cdk-lib's EventBus adds the key statement (on condition of this account, the bus and its
        // encryption context) to a key it can change; an imported key's owner adds it (docs/security.md).
        ...(key && { kmsKey: key, deadLetterQueue }),
      });
  const bus = ownBus ?? events.EventBus.fromEventBusName(scope, 'Bus', settings.eventBusName as string);
  if (ownBus && key) {
    deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BusDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deadLetterQueue.queueArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': busArnOf(ownBus.node.defaultChild as events.CfnEventBus) },
        },
      }),
    );
  }
  const archive = new events.Archive(scope, 'Archive', {
    sourceEventBus: bus,
    description: 'Events of ssm-step-watch, for replay',
    eventPattern: { source: [settings.eventSource] },
    retention: settings.archiveRetention,
  });
  // Not the Archive's kmsKey prop: its key statement for DescribeKey has no condition.
  // The bus's ARN from its name: a GetAtt would tie a key of another stack to this one both ways.
  if (key)
    encryptArchive(
      archive,
      ownBus ? busArnOf(ownBus.node.defaultChild as events.CfnEventBus) : bus.eventBusArn,
      key,
    );
  return { bus, ownBus, archive };
}

/**
 * Encrypts the archive with `key`, whose policy lets EventBridge encrypt and decrypt only with this
 * bus's encryption context, and describe the key, from this account. An imported key's policy is
 * left as it is (`addToResourcePolicy` does nothing to it).
 */
function encryptArchive(archive: events.Archive, busArn: string, key: kms.IKey): void {
  (archive.node.defaultChild as events.CfnArchive).kmsKeyIdentifier = key.keyArn;
  const account = Stack.of(archive).account;
  const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'EventBridgeArchiveEncryption',
      principals: [eventBridge],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'aws:SourceAccount': account,
          'kms:EncryptionContext:aws:events:event-bus:arn': busArn,
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'EventBridgeArchiveDescribeKey',
      principals: [eventBridge],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
}

/**
 * The created bus's resource policy: only the poller's roles (and the publishers admitted with
 * {@link StepWatchSourcePolicy.admit}) may put events whose source is the poller's; everyone else
 * is denied it, whatever their identity policies allow. Events of other sources are left to the
 * identity policies as before.
 *
 * @example
 * ```ts
 * const policy = new StepWatchSourcePolicy(bus, 'ssm-step-watch');
 * policy.admit(pollRole);
 * ```
 */
export class StepWatchSourcePolicy {
  /** The policy document, as the bus holds it. */
  public readonly document: iam.PolicyDocument;
  private readonly publishers: string[] = [];

  constructor(bus: events.EventBus, source: string) {
    const cfnBus = bus.node.defaultChild as events.CfnEventBus;
    this.document = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'OnlyPollerPublishesItsSource',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [busArnOf(cfnBus)],
          conditions: {
            'ForAnyValue:StringEquals': { 'events:source': [source] },
            ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.publishers }) },
          },
        }),
      ],
    });
    cfnBus.policy = this.document;
  }

  /** Lets `role` put events of the poller's source (its identity policy must allow PutEvents too). */
  admit(role: iam.IRole): void {
    this.publishers.push(role.roleArn);
  }
}

/** A bus's ARN from its name, for its own policy: a GetAtt of the bus there would make it depend on itself. */
export function busArnOf(bus: events.CfnEventBus): string {
  return Stack.of(bus).formatArn({ service: 'events', resource: 'event-bus', resourceName: bus.name });
}
