// The gpuPools shape docs/deploy.md documents, checked against main.bicep's gpuPoolSpec type
// by BicepFileTests. Not used for deployments (azd reads infra/main.parameters.json).
using '../../../infra/main.bicep'

param environmentName = 'sample'
param location = 'eastus'
param adminKey = 'not-a-real-key-only-for-type-checking'
param gpuPools = [
  {
    name: 'batch-t4'
    team: 'ml-platform'
    costCenter: 'CC-1234'
    minCapacity: 0
    maxCapacity: 4
    spot: true
  }
  {
    name: 'online-a100'
    team: 'search'
    costCenter: 'CC-5678'
    sku: 'Standard_NC24ads_A100_v4'
    minCapacity: 1
    maxCapacity: 2
  }
]
param gpuPoolSshPublicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnlyForTypeChecking sample'
