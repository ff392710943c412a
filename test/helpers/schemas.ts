// Validates emitted event details against the JSON Schemas shipped in schemas/.
import { readFileSync } from 'node:fs';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { DETAIL_TYPES } from '../../lambda/core/types';

const FILES: Record<string, string> = {
  [DETAIL_TYPES.step]: 'step-status-change.schema.json',
  [DETAIL_TYPES.alarm]: 'step-alarm-triggered.schema.json',
  [DETAIL_TYPES.execution]: 'execution-status-change.schema.json',
};

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = new Map(
  Object.entries(FILES).map(([detailType, file]) => [
    detailType,
    ajv.compile(JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8'))),
  ]),
);

/** The schema errors of one event's detail, as readable strings; empty when it is valid. */
export function schemaErrors(detailType: string, detail: unknown): string[] {
  const validate = validators.get(detailType);
  if (!validate) return [`no schema for detail type "${detailType}"`];
  if (validate(detail)) return [];
  return (validate.errors ?? []).map((e) => `${detailType}: ${e.instancePath || '/'} ${e.message ?? ''}`);
}
