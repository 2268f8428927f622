/**
 * Reading a Stan-JSON data file and checking it against a model on the main thread, before any GPU work:
 * a bad file is reported at once, naming the field and what was expected (the model's DataError says so).
 */
import { DataError, type StanData } from '../models/data';
import type { ModelDefinition, PreparedModel } from '../models/types';

export class DataFileError extends Error {
  override name = 'DataFileError';
}

/** Large enough for any built-in model's data (logistic: 100,000 rows), small enough not to hang the tab. */
const MAX_BYTES = 200 * 1024 * 1024;

export async function readStanJson(file: File): Promise<StanData> {
  if (file.size > MAX_BYTES) {
    throw new DataFileError(`"${file.name}" is ${Math.round(file.size / 2 ** 20)} MiB; the limit is 200 MiB`);
  }
  const text = await file.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DataFileError(`"${file.name}" is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DataFileError(
      `"${file.name}" must hold a JSON object of named fields (Stan's JSON data format), not ${
        Array.isArray(data) ? 'an array' : data === null ? 'null' : `a ${typeof data}`
      }`,
    );
  }
  return data as StanData;
}

/** Validates data for a model: the prepared model, or an error message fit for the status line. */
export function prepareData(
  model: ModelDefinition,
  data: StanData,
  source: string,
): { prepared: PreparedModel } | { error: string } {
  try {
    return { prepared: model.prepare(data) };
  } catch (error) {
    if (error instanceof DataError) {
      const fields = model.dataFields.map((f) => f.name).join(', ');
      return {
        error: `Bad data in ${source} for ${model.name}: ${error.message}. ${model.name} needs ${fields}.`,
      };
    }
    return { error: `Could not use ${source} for ${model.name}: ${(error as Error).message}` };
  }
}
