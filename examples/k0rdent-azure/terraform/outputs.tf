# The output contract deploy-terraform.hcl reads (infra.*), get_vm_info reads
# (vm_details.<vm>.<property>) and get_state reads for v1 keys (vm_states).

output "controller_ips" {
  description = "Public IPs of the controllers, in order."
  value       = [for h, v in local.hosts : azurerm_public_ip.vm[h].ip_address if v.role == "controller"]
}

output "worker_ips" {
  description = "Public IPs of the workers, in order."
  value       = [for h, v in local.hosts : azurerm_public_ip.vm[h].ip_address if v.role == "worker"]
}

output "vm_details" {
  description = "Per VM: public_ip, private_ip, zone, role and state (the Azure provisioning state, as the bash scripts recorded it)."
  value = { for h, v in local.hosts : h => {
    public_ip  = azurerm_public_ip.vm[h].ip_address
    private_ip = azurerm_network_interface.vm[h].private_ip_address
    zone       = v.zone
    role       = v.role
    state      = "Succeeded"
  } }
}

output "resource_group" {
  value = azurerm_resource_group.this.name
}

output "subnet_id" {
  value = azurerm_subnet.this.id
}

output "security_group_id" {
  value = azurerm_network_security_group.this.id
}

output "ssh_key_name" {
  value = azurerm_ssh_public_key.admin.name
}
