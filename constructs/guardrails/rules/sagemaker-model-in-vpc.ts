// Compliant: a SageMaker model (AWS::SageMaker::Model) runs in a VPC: its VpcConfig names subnets and security groups.
import { alternatives, asRecord, compliance, isSet, resourceRule } from './support';

/**
 * A model's containers reach the network only through the subnets and security groups of `VpcConfig`; without it
 * they run in a SageMaker-managed network with internet access. A `VpcConfig` that is an intrinsic other than
 * `Fn::If` cannot be read and is reported.
 */
export const SageMakerModelInVpc = resourceRule('SageMakerModelInVpc', ['AWS::SageMaker::Model'], ({ properties }) =>
  compliance(alternatives(properties.VpcConfig).every(vpc => {
    const config = asRecord(vpc);
    return config !== undefined && isSet(config.Subnets) && isSet(config.SecurityGroupIds);
  })));
