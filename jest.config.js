/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/test/env.js'],
  // Removes the cdk.out* temp folders that Template.fromStack leaves behind.
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
