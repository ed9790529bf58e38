export { localLambdaContext as aLambdaContext } from '#infra/local/lambda-http-adapter.ts';
