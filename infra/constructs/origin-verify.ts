import { Stack, Validations } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AwsCustomResource, AwsCustomResourcePolicy, Logging, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * The SSM parameter holding the origin secret of the stateless stack `statelessStackName`: the edge stack reads it
 * by this name (a dynamic reference), so neither stack exports it and it appears in no stack output.
 */
export function originVerifyParameterName(statelessStackName: string): string {
  return `/${statelessStackName}/origin-verify`;
}

/**
 * The value CloudFront sends in the `x-origin-verify` header and every HTTP function requires behind a custom domain
 * (`shared/http/origin-guard.ts`): 48 random letters and digits from Secrets Manager's GetRandomPassword, asked once
 * when the stack is created (a custom resource; GetRandomPassword creates no secret and has no monthly fee, unlike a
 * stored secret's USD 0.40), then kept in a standard SSM parameter (free) for the edge stack. It changes only if this
 * construct is recreated (the stateless stack deleted and deployed again, after which the edge stack is deployed
 * again anyway for its new origin).
 *
 * Who can read it: principals of the account that may read the functions' configuration, the parameter or the
 * distribution's configuration. It keeps out callers from the internet who learnt the execute-api host name, not
 * the account's own administrators.
 */
export class OriginVerifySecret extends Construct {
  /** The value (a deploy-time token): for the functions' environment. */
  readonly value: string;
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: { readonly parameterName: string }) {
    super(scope, id);
    const random = new AwsCustomResource(this, 'Random', {
      onCreate: {
        service: 'SecretsManager',
        action: 'GetRandomPassword',
        parameters: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
        physicalResourceId: PhysicalResourceId.of('origin-verify'),
        // The value is in the response: keep it out of the provider's log.
        logging: Logging.withDataHidden(),
      },
      // GetRandomPassword acts on no resource: IAM takes only "*" for it.
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    this.value = random.getResponseField('RandomPassword');
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: props.parameterName,
      stringValue: this.value,
      description: 'Value of the x-origin-verify header CloudFront sends to the API (the functions require it)',
    });
    Validations.of(random).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'secretsmanager:GetRandomPassword acts on no resource: IAM accepts only "*" for it, the one action here.',
    });
    // The provider is one function per stack, shared by every AwsCustomResource (this is the only one).
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The custom resource provider's role: the AWS managed basic execution policy lets it write its own log " +
          'group only; it runs at deploy time when the stack is created.',
      });
    }
  }
}
