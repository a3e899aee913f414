// AWS Deep Learning Container registry accounts per region, for the Hugging Face TGI
// (huggingface-pytorch-tgi-inference) and LMI (djl-inference) serving images.
//
// Source: the SageMaker Python SDK's image map (huggingface-llm.json, v3.3.6; the LMI map is identical for these
// regions), as recorded in shared/reference/sagemaker.md Appendix B. aws-cdk-lib's own DLC fact lacks 11 of these
// regions, so the library ships its own map and renders it as a CfnMapping for region-agnostic stacks.

/** Region → account that hosts the deep learning container images. */
export const DLC_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-east-2': '975050140332',
  'ap-northeast-1': '763104351884',
  'ap-northeast-2': '763104351884',
  'ap-northeast-3': '364406365360',
  'ap-south-1': '763104351884',
  'ap-south-2': '772153158452',
  'ap-southeast-1': '763104351884',
  'ap-southeast-2': '763104351884',
  'ap-southeast-3': '907027046896',
  'ap-southeast-4': '457447274322',
  'ap-southeast-5': '550225433462',
  'ap-southeast-6': '633930458069',
  'ap-southeast-7': '590183813437',
  'ca-central-1': '763104351884',
  'ca-west-1': '204538143572',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-central-1': '763104351884',
  'eu-central-2': '380420809688',
  'eu-north-1': '763104351884',
  'eu-south-1': '692866216735',
  'eu-south-2': '503227376785',
  'eu-west-1': '763104351884',
  'eu-west-2': '763104351884',
  'eu-west-3': '763104351884',
  'il-central-1': '780543022126',
  'me-central-1': '914824155844',
  'me-south-1': '217643126080',
  'mx-central-1': '637423239942',
  'sa-east-1': '763104351884',
  'us-east-1': '763104351884',
  'us-east-2': '763104351884',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353',
  'us-iso-east-1': '886529160074',
  'us-isob-east-1': '094389454867',
  'us-isof-east-1': '303241398832',
  'us-isof-south-1': '454834333376',
  'us-west-1': '763104351884',
  'us-west-2': '763104351884',
};
