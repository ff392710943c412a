// Drops a function's DependsOn on its own role, which its Role GetAtt already enforces (cfn-lint W3005).
import { Aspects, CfnResource, type IAspect, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * A Lambda function depends on its role construct (role and default policy) so that it is created
 * with its permissions; CloudFormation learns the role half from the function's `Role` GetAtt, so
 * the `DependsOn` entry naming the role says it twice. This aspect rewrites each function's
 * `DependsOn` without its role, keeping every other dependency (the default policy first of all).
 */
class RoleDependencyTrim implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof lambda.Function) || !(node.role instanceof iam.Role)) return;
    const fn = node.node.defaultChild;
    const role = node.role.node.defaultChild;
    if (!(fn instanceof CfnResource) || !(role instanceof CfnResource)) return;
    const stack = Stack.of(fn);
    // Read when the template is written, after every dependency is known.
    fn.addOverride(
      'DependsOn',
      Lazy.list(
        {
          produce: () =>
            fn
              .obtainDependencies()
              .filter((dependency): dependency is CfnResource => dependency instanceof CfnResource)
              .filter((dependency) => dependency !== role && Stack.of(dependency) === stack)
              .sort((a, b) => a.node.path.localeCompare(b.node.path))
              .map((dependency) => dependency.logicalId),
        },
        { omitEmpty: true },
      ),
    );
  }
}

/** Trims the role out of the `DependsOn` of every Lambda function under `scope`. */
export function omitRedundantRoleDependencies(scope: IConstruct): void {
  Aspects.of(scope).add(new RoleDependencyTrim());
}
