// Flex Consumption plan + function app: a .NET isolated-worker app (dotnet-isolated 10.0) with
// Durable Functions on the Azure Storage backend. Its task hub lives in the AzureWebJobsStorage
// account, reached with the managed identity. Everything but the durable group scales to zero.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the plan; the app also gets azd-service-name.')
param tags object

@description('azd service this app hosts (azure.yaml `services`).')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (DefaultAzureCredential picks it through AZURE_CLIENT_ID).')
param identityClientId string

@description('Storage account for AzureWebJobsStorage, the deployment package and ControlPlane data.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Connection string of the Application Insights component receiving telemetry.')
param applicationInsightsConnectionString string

@description('Versionless Key Vault secret URI of the admin key.')
param adminKeySecretUri string

@description('Versionless Key Vault secret URI of the user pseudonymization key; empty leaves user ids as apps send them.')
param userPseudonymKeySecretUri string = ''

@description('Event Grid topic endpoint for ControlPlane events.')
param eventGridTopicEndpoint string

@description('Resource group holding the GPU pool scale sets; empty when there are none.')
param gpuPoolsResourceGroup string

@description('Subscription ControlPlane manages GPU pools in.')
param gpuPoolsSubscriptionId string

@description('Subscriptions the shadow-AI audit reads.')
param auditSubscriptionIds string[]

@description('Azure OpenAI endpoint the nightly batch uses (an existing resource with a global batch deployment); empty turns the batch off.')
param azureOpenAIEndpoint string = ''

@description('When the nightly batch starts: six-field NCRONTAB, UTC. The nightly batch timer reads it as %ControlPlane__Batch__Schedule%.')
param batchSchedule string = '0 0 2 * * *'

@description('When the shadow-AI audit starts: six-field NCRONTAB, UTC. Its timer reads it as %ControlPlane__Audits__ShadowAi__Schedule%.')
param shadowAiSchedule string = '0 30 3 * * *'
@description('When the nightly zombie-feature audit and the hourly anomaly scan run: six-field NCRONTAB, UTC.')
param zombieAuditSchedule string = '0 15 3 * * *'
param anomalyScanSchedule string = '0 5 * * * *'

@description('When the weekly (Mondays) and monthly (the 1st) finance reports are made: six-field NCRONTAB, UTC.')
param weeklyReportSchedule string = '0 0 6 * * 1'
param monthlyReportSchedule string = '0 0 6 1 * *'

@description('Upper bound on instances; also a ceiling on what the app can cost under load.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Instances kept running for the durable group (orchestrators and activities). Microsoft recommends 1 for Durable Functions on Flex Consumption; each one is billed around the clock (see docs/deploy.md). 0 lets the group scale to zero.')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstanceCount int = 1

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Durable on Flex: a warm instance for the `durable` group keeps orchestrations and their
        // durable timers from waiting on a cold start to be picked up from the task hub queues.
        alwaysReady: [
          {
            name: 'durable'
            instanceCount: durableAlwaysReadyInstanceCount
          }
        ]
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// .NET configuration binds `ControlPlane__Audits__SubscriptionIds__0`, `__1`, ... to a list.
var auditSubscriptionSettings = toObject(
  range(0, length(auditSubscriptionIds)),
  i => 'ControlPlane__Audits__SubscriptionIds__${i}',
  i => auditSubscriptionIds[i]
)

var appSettings = {
  // Functions host storage and the Durable task hub (host.json `extensions.durableTask`), reached with
  // the managed identity (shared keys are disabled): blobs for leases, queues for messages, tables for history.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Application Insights has local auth disabled: the host authenticates with the identity.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential in the app selects the user-assigned identity through this.
  AZURE_CLIENT_ID: identityClientId
  ControlPlane__Storage__AccountName: storageAccountName
  // Resolved by the platform with keyVaultReferenceIdentity; versionless, so a new secret
  // version is picked up on restart (or within 24 hours).
  ControlPlane__AdminKey: '@Microsoft.KeyVault(SecretUri=${adminKeySecretUri})'
  ControlPlane__Events__TopicEndpoint: eventGridTopicEndpoint
  ControlPlane__Capacity__SubscriptionId: gpuPoolsSubscriptionId
  ControlPlane__Capacity__PoolsResourceGroup: gpuPoolsResourceGroup
  // Must exist: the nightly batch timer's schedule is %ControlPlane__Batch__Schedule%, and the host will not index it otherwise.
  ControlPlane__Batch__Schedule: batchSchedule
  // Must exist for the same reason: the shadow-AI audit's timer reads %ControlPlane__Audits__ShadowAi__Schedule%.
  ControlPlane__Audits__ShadowAi__Schedule: shadowAiSchedule
  // Likewise for the usage audits' timers (%ControlPlane__Audits__Zombie__Schedule%, %ControlPlane__Audits__Anomalies__Schedule%).
  ControlPlane__Audits__Zombie__Schedule: zombieAuditSchedule
  ControlPlane__Audits__Anomalies__Schedule: anomalyScanSchedule
  // And the report timers' (%ControlPlane__Reports__WeeklySchedule%, %ControlPlane__Reports__MonthlySchedule%).
  ControlPlane__Reports__WeeklySchedule: weeklyReportSchedule
  ControlPlane__Reports__MonthlySchedule: monthlyReportSchedule
  // The identity needs "Cognitive Services OpenAI User" on that resource (see docs/deploy.md).
  ControlPlane__AzureOpenAI__Endpoint: azureOpenAIEndpoint
  // The dashboard answers at "/" (host.json sets no route prefix); without this the host's own landing page would.
  AzureWebJobsDisableHomepage: 'true'
}

// Only with a key: an empty Key Vault reference would not resolve, and no setting means "store user ids as sent".
var privacySettings = empty(userPseudonymKeySecretUri) ? {} : {
  ControlPlane__Privacy__UserPseudonymKey: '@Microsoft.KeyVault(SecretUri=${userPseudonymKeySecretUri})'
}

resource appSettingsConfig 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(auditSubscriptionSettings, appSettings, privacySettings)
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
