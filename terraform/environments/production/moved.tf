# Where resources of this environment's state went when the modules' repeated blocks were folded (the
# data stores' security groups into the environment's table, the platform's IRSA roles and policies
# into blocks keyed by controller): Terraform moves them in state instead of replacing them. The moves
# inside module.platform are here with the others because this environment is the modules' one caller.

moved {
  from = module.rds.aws_security_group.this
  to   = aws_security_group.data_store["mysql"]
}

moved {
  from = module.rds.aws_vpc_security_group_ingress_rule.from_cluster
  to   = aws_vpc_security_group_ingress_rule.data_store_from_cluster["mysql"]
}

moved {
  from = module.cache.aws_security_group.this
  to   = aws_security_group.data_store["memorydb"]
}

moved {
  from = module.cache.aws_vpc_security_group_ingress_rule.from_cluster
  to   = aws_vpc_security_group_ingress_rule.data_store_from_cluster["memorydb"]
}

moved {
  from = module.platform.aws_iam_role.lbc
  to   = module.platform.aws_iam_role.irsa["lbc"]
}

moved {
  from = module.platform.aws_iam_role.eso
  to   = module.platform.aws_iam_role.irsa["eso"]
}

moved {
  from = module.platform.aws_iam_role_policy.lbc
  to   = module.platform.aws_iam_role_policy.irsa["lbc"]
}

moved {
  from = module.platform.aws_iam_role_policy.eso
  to   = module.platform.aws_iam_role_policy.irsa["eso"]
}
