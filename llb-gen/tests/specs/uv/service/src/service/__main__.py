print('service')
