"""Behaviours shared by several element types (Zeebe's ``behavior/``): catching, boundaries,
subscriptions, compensation, incidents, the read-model outbox, continue-as-new …"""
