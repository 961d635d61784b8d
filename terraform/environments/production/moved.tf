# Where resources of this environment's state went when the platform's IRSA roles and policies were
# folded into blocks keyed by controller: Terraform moves them in state instead of replacing them. The
# moves inside module.platform are here because this environment is the modules' one caller.

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
