// Data-plane roles for the app's identity (and, optionally, the deploying user for local
// debugging), each on the one resource that needs it. Names are guid(scope, principal, role)
// so re-running `azd up` is idempotent and two principals never collide.

@description('Principal id of the function app\'s user-assigned identity.')
param appPrincipalId string

@description('Object id of the deploying user (azd AZURE_PRINCIPAL_ID); empty to skip.')
param userPrincipalId string = ''

@description('Kind of principal userPrincipalId is.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param userPrincipalType string = 'User'

param storageAccountName string
param applicationInsightsName string
param keyVaultName string
param eventGridTopicName string

// Built-in role definition ids (the same GUIDs in every tenant).
// Storage Blob Data Owner: Functions host and Durable task hub leases, large Durable messages, the Flex deployment package.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Queue Data Contributor: the Durable task hub's control and work-item queues (and ControlPlane's own).
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Storage Table Data Contributor: the usage ledger, budgets, reservations, and the Durable task hub's history and instances.
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Monitoring Metrics Publisher: telemetry into Application Insights with local auth disabled.
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
// Key Vault Secrets User: resolve the admin-key Key Vault reference.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
// EventGrid Data Sender: publish budget and finding events to the topic.
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

var grantUser = !empty(userPrincipalId)

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: eventGridTopicName
}

// Storage Blob Data Owner, Storage Queue Data Contributor, Storage Table Data Contributor — app identity.
resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor, storageTableDataContributor]: {
    name: guid(storageAccount.id, appPrincipalId, role)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Monitoring Metrics Publisher — app identity.
resource appMonitoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets User — app identity (read secrets only; it cannot list or write them).
resource appKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// EventGrid Data Sender — app identity.
resource appEventGrid 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, appPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Owner, Storage Queue Data Contributor, Storage Table Data Contributor —
// deploying user, so `dotnet run` against the deployed account works with `az login`.
resource userStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor, storageTableDataContributor]: if (grantUser) {
    name: guid(storageAccount.id, userPrincipalId, role)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

// Monitoring Metrics Publisher — deploying user (local runs can send telemetry).
resource userMonitoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUser) {
  name: guid(applicationInsights.id, userPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

// EventGrid Data Sender — deploying user (local runs can publish events).
resource userEventGrid 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUser) {
  name: guid(topic.id, userPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
