// Key Vault holding the bootstrap admin key and, when given, the user pseudonymization key. RBAC authorization only: no access policies, so
// who can read the secret is visible in the same role assignments as everything else.

@description('Name of the vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object

@secure()
@description('The admin API key ControlPlane accepts on its first start (x-api-key, role admin).')
@minLength(32)
param adminKey string

@description('Name of the secret that stores the admin key.')
param adminKeySecretName string = 'controlplane-admin-key'

@secure()
@description('Key the app pseudonymizes user ids with (at least 32 bytes; the app refuses to start with a shorter one). Empty: no secret, user ids stored as sent.')
param userPseudonymKey string = ''

@description('Name of the secret that stores the user pseudonymization key.')
param userPseudonymKeySecretName string = 'controlplane-user-pseudonym-key'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    accessPolicies: []
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // Purge protection is left off so `azd down --purge` can remove the vault; turn it on for
    // production environments that must survive an accidental delete.
    publicNetworkAccess: 'Enabled'
  }
}

resource adminKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: adminKeySecretName
  properties: {
    value: adminKey
    contentType: 'text/plain'
  }
}

resource userPseudonymKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(userPseudonymKey)) {
  parent: vault
  name: userPseudonymKeySecretName
  properties: {
    value: userPseudonymKey
    contentType: 'text/plain'
  }
}

output endpoint string = vault.properties.vaultUri
@description('Versionless secret URI: a Key Vault reference to it follows the latest version.')
output adminKeySecretUri string = adminKeySecret.properties.secretUri
@description('Versionless secret URI of the user pseudonymization key; empty when none was given.')
output userPseudonymKeySecretUri string = userPseudonymKeySecret.?properties.secretUri ?? ''
