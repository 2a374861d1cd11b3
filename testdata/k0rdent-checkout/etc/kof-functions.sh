check_kof_enabled() { [[ ${KOF_ENABLED_IN_CONFIG:-false} == true ]]; }
