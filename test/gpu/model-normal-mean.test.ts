import { normalMean } from '../../src/models/normal-mean';
import { normalMeanReference } from '../reference/models';
import { checkModel } from './model-check';

checkModel({ model: normalMean, reference: normalMeanReference, scale: 3 });
