// Custom topic for budget threshold, kill-switch and finding events. CloudEvents 1.0 schema;
// local (SAS key) auth is disabled, so publishers need EventGrid Data Sender.

@description('Name of the Event Grid topic.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the topic.')
param tags object

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

output endpoint string = topic.properties.endpoint
