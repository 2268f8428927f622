/** Our float64 reference implementation of each built-in model (test/reference), by model name. */
import type { StanData } from '../../../src/models/data';
import { eightSchoolsReference } from '../../../test/reference/eight-schools';
import { hmmReference } from '../../../test/reference/hmm';
import { linregReference } from '../../../test/reference/linreg';
import { logisticReference } from '../../../test/reference/logistic';
import { normalMeanReference, type ReferenceModel } from '../../../test/reference/models';
import type { AccuracyModelName } from '../../accuracy/workloads';

const REFERENCES: Readonly<Record<AccuracyModelName, (data: StanData) => ReferenceModel>> = {
  'normal-mean': normalMeanReference,
  linreg: linregReference,
  logistic: logisticReference,
  'eight-schools': eightSchoolsReference,
  hmm: hmmReference,
};

export function referenceModelFor(model: AccuracyModelName, data: StanData): ReferenceModel {
  return REFERENCES[model](data);
}
