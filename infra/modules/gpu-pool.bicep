// One GPU pool: a Uniform VM scale set whose capacity ControlPlane's Capacity policy
// recommends or sets (Virtual Machine Contributor on this resource group). Starts at the
// pool's minimum; Spot pools are for deferrable batch work and may be evicted at any time.
// Every instance runs the GPU agent (cloud-init), which reads its ingest key from one Key Vault
// secret with the scale set's identity and posts utilization samples to ControlPlane.

@export()
@description('A GPU pool requested in main.bicep\'s gpuPools parameter.')
type gpuPoolSpec = {
  @description('Short pool name, unique in the environment; used in resource names and the controlplane-pool tag.')
  @minLength(1)
  @maxLength(20)
  name: string

  @description('Team the pool is charged to (tag `team`).')
  team: string

  @description('Cost center for chargeback (tag `cost_center`).')
  costCenter: string

  @description('VM size; defaults to Standard_NC4as_T4_v3 (1x T4, 4 vCPU).')
  sku: string?

  @description('Instances the pool starts with and never goes below.')
  @minValue(0)
  minCapacity: int

  @description('Instances the Capacity policy may scale up to.')
  @minValue(1)
  maxCapacity: int

  @description('Run on Spot VMs (evictable, much cheaper) for batch pools.')
  spot: bool?

  @description('The inference server\'s Prometheus metrics URL on each instance, e.g. http://127.0.0.1:8000/metrics; omit when the pool has no queue.')
  queueMetricsUrl: string?

  @description('The queue-depth metric: vllm:num_requests_waiting (vLLM), tgi_queue_size (TGI), nv_inference_pending_request_count (Triton).')
  queueMetric: string?
}

@description('Name of the scale set.')
@maxLength(64)
param name string

@description('Pool name written to the controlplane-pool tag.')
param poolName string

@description('Azure region.')
param location string

@description('Tags shared by the environment; pool tags are added to them.')
param tags object

@description('Team tag.')
param team string

@description('Cost center tag.')
param costCenter string

@description('GPU VM size. Passing null (a pool spec without `sku`) also selects this default.')
param vmSku string = 'Standard_NC4as_T4_v3'

@description('Initial (and minimum) instance count.')
@minValue(0)
param minCapacity int

@description('Maximum instance count the Capacity policy may set.')
@minValue(1)
param maxCapacity int

@description('Use Spot priority with Delete eviction and pay-up-to-on-demand pricing.')
param spot bool = false

@description('Admin user name on the VMs.')
param adminUsername string

@description('SSH public key for adminUsername. Password login is disabled.')
@minLength(1)
param sshPublicKey string

@description('Subnet the instances join.')
param subnetId string

@description('ControlPlane\'s base URL, where the agents post samples.')
param controlPlaneUrl string

@description('Vault holding the agents\' ingest key.')
param keyVaultName string

@description('Resource group of that vault.')
param keyVaultResourceGroupName string

@description('The vault\'s URI (https://{name}.vault.azure.net/).')
param keyVaultUri string

@secure()
@description('Ingest key for the pool\'s team; empty until one is issued (the agents wait and log until then).')
param agentApiKey string = ''

@description('Seconds each sample averages over (one nvidia-smi reading per second).')
@minValue(10)
@maxValue(3600)
param sampleWindowSeconds int = 60

@description('The inference server\'s Prometheus metrics URL on each instance; empty for none.')
param queueMetricsUrl string = ''

@description('Queue-depth metric name on that page.')
param queueMetric string = ''

var agentKeySecretName = 'gpu-agent-${poolName}'

var cloudInit = format(
  loadTextContent('gpu-agent/cloud-init.yaml'),
  loadFileAsBase64('../../agents/gpu/controlplane-gpu-agent'),
  controlPlaneUrl,
  poolName,
  keyVaultUri,
  agentKeySecretName,
  sampleWindowSeconds,
  queueMetricsUrl,
  queueMetric
)

var poolTags = union(tags, {
  'controlplane-pool': poolName
  team: team
  cost_center: costCenter
  // The Capacity policy reads its bounds from the scale set itself.
  'controlplane-min-capacity': string(minCapacity)
  'controlplane-max-capacity': string(maxCapacity)
})

resource scaleSet 'Microsoft.Compute/virtualMachineScaleSets@2024-07-01' = {
  name: name
  location: location
  tags: poolTags
  // The agent's identity for Key Vault: it may read the one secret below and nothing else.
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: vmSku
    tier: 'Standard'
    capacity: minCapacity
  }
  properties: {
    orchestrationMode: 'Uniform'
    // Overprovisioning would briefly run (and bill) extra GPU VMs on every scale-out.
    overprovision: false
    singlePlacementGroup: false
    upgradePolicy: {
      mode: 'Manual'
    }
    virtualMachineProfile: {
      priority: spot ? 'Spot' : 'Regular'
      evictionPolicy: spot ? 'Delete' : null
      // -1: pay up to the on-demand price, so Spot instances are evicted for capacity, never price.
      billingProfile: spot ? { maxPrice: -1 } : null
      osProfile: {
        computerNamePrefix: take(poolName, 15)
        adminUsername: adminUsername
        customData: base64(cloudInit)
        linuxConfiguration: {
          disablePasswordAuthentication: true
          provisionVMAgent: true
          ssh: {
            publicKeys: [
              {
                path: '/home/${adminUsername}/.ssh/authorized_keys'
                keyData: sshPublicKey
              }
            ]
          }
        }
      }
      storageProfile: {
        imageReference: {
          publisher: 'Canonical'
          offer: '0001-com-ubuntu-server-jammy'
          sku: '22_04-lts-gen2'
          version: 'latest'
        }
        osDisk: {
          createOption: 'FromImage'
          caching: 'ReadWrite'
          diskSizeGB: 128
          managedDisk: {
            storageAccountType: 'Premium_LRS'
          }
        }
      }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig'
                  properties: {
                    subnet: {
                      id: subnetId
                    }
                  }
                }
              ]
            }
          }
        ]
      }
      // Secure Boot is left off (no securityProfile): the NVIDIA driver extension installs
      // unsigned kernel modules, which Secure Boot would refuse to load.
      extensionProfile: {
        extensions: [
          {
            name: 'NvidiaGpuDriverLinux'
            properties: {
              publisher: 'Microsoft.HpcCompute'
              type: 'NvidiaGpuDriverLinux'
              typeHandlerVersion: '1.6'
              autoUpgradeMinorVersion: true
              settings: {}
            }
          }
        ]
      }
    }
  }
}

module agentKey 'gpu-agent-key.bicep' = {
  name: 'gpu-agent-key-${poolName}'
  scope: resourceGroup(keyVaultResourceGroupName)
  params: {
    keyVaultName: keyVaultName
    secretName: agentKeySecretName
    agentApiKey: agentApiKey
    // The identity exists only once the scale set does, so What-If cannot predict the role assignment. Accepted.
    #disable-next-line what-if-short-circuiting
    principalId: scaleSet.identity.principalId
  }
}

output name string = scaleSet.name
