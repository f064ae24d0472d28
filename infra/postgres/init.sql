-- The test database beside the default one (docker-compose only; scripts/infra.sh creates both itself).
create database tasklog_test owner tasklog;
